"""The seeded patrol checklist (巡查任务清单): 15 classes and 90 items, after the Pukou
district's 网格巡查任务 "15类84项" and the patrol lists streets publish (安全生产、消防安全、
燃气安全、出租房屋、重点场所、特殊人群、矛盾纠纷、治安隐患、市容环境、违法建设、防汛防台、
食品安全、环境保护、民生服务、疫情防控).

Each item: (code, name, English name, what to look at, checked at, how often, default
event small class, kinds of key place or special group it applies to — empty: all).
Frequencies follow common practice: whole-grid street-scene items daily, rental rooms
and shops monthly, key places weekly, high-risk special groups weekly. Admins edit all of it afterwards (a revision is a new version);
loading again adds what is missing and never overwrites an edit.
"""

G, B, R, K, S, P = "grid", "building", "rental", "key_place", "shop", "special"
DAY, WEEK, MONTH, QUARTER = "daily", "weekly", "monthly", "quarterly"

CLASSES = [
    ("01", "安全生产", "Work safety", [
        ("0101", "小作坊小加工点安全", "Small workshops", "查看小作坊、小加工点有无无证生产、设备裸露传动、电线私拉乱接", G, WEEK, "0803", []),
        ("0102", "沿街商铺安全生产", "Shop work safety", "查看商铺安全生产责任牌、灭火器、电气线路、“三合一”住人情况", S, MONTH, "0803", []),
        ("0103", "危化品经营存放", "Hazardous goods", "查看危化品经营单位台账、储存场所、警示标识，有无违规存放", K, WEEK, "0803", ["hazardous"]),
        ("0104", "特种设备", "Lifts and boilers", "查看电梯、锅炉等特种设备检验标志是否在有效期内", B, QUARTER, "0806", []),
        ("0105", "建筑工地安全", "Construction sites", "查看工地围挡、脚手架、临边防护、塔吊作业和安全帽佩戴", K, WEEK, "0307", ["construction"]),
        ("0106", "有限空间作业", "Confined spaces", "查看窨井、化粪池等有限空间作业有无审批、通风检测和监护", G, WEEK, "0803", []),
    ]),
    ("02", "消防安全", "Fire safety", [
        ("0201", "消防通道", "Fire lanes", "查看小区、楼栋消防通道有无占用堵塞，消防车道标线是否清晰", B, WEEK, "0801", []),
        ("0202", "电动车充电", "E-bike charging", "查看楼道、门厅有无电动车停放充电、飞线充电", B, WEEK, "0802", []),
        ("0203", "楼道堆物", "Stairwell clutter", "查看楼道、疏散通道有无杂物堆放，安全出口是否畅通", B, WEEK, "0801", []),
        ("0204", "消防设施", "Fire equipment", "查看消火栓、灭火器、应急照明、疏散指示是否完好有效", B, MONTH, "0801", []),
        ("0205", "九小场所消防", "Small venues' fire safety", "查看小餐饮、小旅馆、小网吧等九小场所灭火器、烟感和住人情况", S, MONTH, "0801", []),
        ("0206", "人员密集场所消防", "Crowded venues", "查看人员密集场所安全出口、疏散通道、消防控制室值班", K, WEEK, "0801", ["entertainment", "market", "school", "hospital"]),
    ]),
    ("03", "燃气安全", "Gas safety", [
        ("0301", "餐饮场所燃气", "Restaurants' gas", "查看餐饮商户燃气报警器、自动切断阀、软管老化和钢瓶存放", S, MONTH, "0804", []),
        ("0302", "居民用户燃气", "Households' gas", "查看居民燃气软管、灶具熄火保护，有无私接改装", R, QUARTER, "0804", []),
        ("0303", "液化气瓶", "LPG cylinders", "查看液化气瓶来源、检验标签，有无过期瓶、倒罐", S, MONTH, "0804", []),
        ("0304", "燃气管线", "Gas pipes", "查看燃气管道、调压箱有无占压、锈蚀、异味", G, WEEK, "0503", []),
        ("0305", "瓶装燃气非法经营", "Illegal gas sellers", "查看有无无证经营、流动送气的非法供应点", G, MONTH, "0803", []),
        ("0306", "独居老人燃气", "Gas use of the elderly alone", "查看独居老人家中燃气使用、报警器是否正常", P, MONTH, "0804", ["elderly_alone"]),
    ]),
    ("04", "出租房屋", "Rental housing", [
        ("0401", "租客信息登记", "Tenant registration", "核对租客身份、人数与登记是否一致，有无未登记人员", R, MONTH, "0704", []),
        ("0402", "群租房", "Overcrowded rentals", "查看有无隔断群租、人均面积过小、床位出租", R, MONTH, "0704", []),
        ("0403", "出租房消防", "Rentals' fire safety", "查看出租房灭火器、烟感、逃生通道，有无“三合一”住人", R, MONTH, "0801", []),
        ("0404", "出租房治安", "Rentals' security", "查看出租房有无可疑人员出入、黄赌毒线索", R, MONTH, "0702", []),
        ("0405", "治安责任书", "Landlord's responsibility", "查看房东是否签订治安、消防责任书并落实告知", R, QUARTER, "0704", []),
        ("0406", "空置房屋", "Vacant rooms", "查看空置房屋门窗、水电气是否关闭，有无被占用", B, QUARTER, "0805", []),
    ]),
    ("05", "重点场所", "Key places", [
        ("0501", "学校周边", "Around schools", "查看上放学时段校门口秩序、护学岗、周边摊贩和交通安全", K, DAY, "0807", ["school"]),
        ("0502", "医院周边", "Around hospitals", "查看医院周边秩序、号贩医托、消防通道", K, WEEK, "0703", ["hospital"]),
        ("0503", "农贸市场", "Markets", "查看市场秩序、占道经营、消防通道和活禽销售管理", K, WEEK, "0401", ["market"]),
        ("0504", "娱乐场所", "Entertainment venues", "查看歌舞厅、网吧营业时间、未成年人入场和治安情况", K, WEEK, "0703", ["entertainment"]),
        ("0505", "宗教活动场所", "Religious venues", "查看宗教活动场所登记、大型活动报备和消防安全", K, MONTH, "0703", ["religious"]),
        ("0506", "寄递物流网点", "Parcel depots", "查看寄递网点实名收寄、开箱验视和过机安检", K, MONTH, "0701", ["other"]),
    ]),
    ("06", "特殊人群", "Special groups", [
        ("0601", "社区矫正对象", "Community correction", "见面核实社区矫正对象在位、思想动态和日常表现", P, WEEK, "0705", ["community_correction"]),
        ("0602", "严重精神障碍患者", "Severe mental disorder", "见面核实服药、监护落实和病情稳定情况", P, WEEK, "0705", ["severe_mental_disorder"]),
        ("0603", "吸毒人员", "Drug users", "核实社区戒毒康复人员在位和尿检情况", P, WEEK, "0702", ["drug_user"]),
        ("0604", "独居空巢老人", "Elderly living alone", "上门探视独居空巢老人身体、生活和居住安全", P, MONTH, "0906", ["elderly_alone"]),
        ("0605", "留守儿童", "Left-behind children", "走访留守儿童监护、就学和安全情况", P, MONTH, "0909", ["left_behind_child"]),
        ("0606", "困难残疾人员", "Disabled and low-income", "走访残疾、低保、特困人员，了解救助帮扶需求", P, QUARTER, "0907", ["disabled", "low_income"]),
    ]),
    ("07", "矛盾纠纷", "Disputes", [
        ("0701", "邻里纠纷排查", "Neighbour disputes", "走访楼栋，了解有无噪音、漏水、占道等邻里矛盾", B, MONTH, "0601", []),
        ("0702", "家庭婚姻纠纷", "Family disputes", "了解有无家庭暴力、婚姻矛盾激化苗头", G, MONTH, "0602", []),
        ("0703", "物业纠纷", "Property disputes", "了解业主与物业在收费、服务、维修资金方面的矛盾", B, QUARTER, "0603", []),
        ("0704", "劳资纠纷", "Wage disputes", "查看工地、企业有无拖欠工资、聚集讨薪苗头", G, WEEK, "0604", []),
        ("0705", "征地拆迁信访", "Land requisition petitions", "了解征拆项目群众诉求，有无上访苗头", G, MONTH, "0607", []),
        ("0706", "消费纠纷", "Consumer disputes", "了解商户与顾客之间的消费投诉和纠纷", S, QUARTER, "0606", []),
    ]),
    ("08", "治安隐患", "Public security", [
        ("0801", "可疑人员物品", "Suspicious persons", "留意可疑人员、可疑物品和车辆", G, DAY, "0701", []),
        ("0802", "技防设施", "Security cameras", "查看小区监控、门禁、照明等技防设施是否完好", B, MONTH, "0904", []),
        ("0803", "黄赌毒线索", "Vice and drugs", "留意足浴、棋牌室、出租房等有无黄赌毒迹象", G, WEEK, "0702", []),
        ("0804", "反诈宣传", "Anti-fraud", "入户宣传反诈知识，了解有无被骗或涉诈线索", B, MONTH, "0701", []),
        ("0805", "非法集资传销", "Illegal fundraising", "留意有无非法集资宣传、传销聚集", G, MONTH, "0705", []),
        ("0806", "群体性事件苗头", "Mass incident signs", "了解有无聚集、串联等群体性事件苗头", G, WEEK, "0705", []),
    ]),
    ("09", "市容环境", "City appearance", [
        ("0901", "暴露垃圾", "Exposed garbage", "查看道路、小区有无暴露垃圾、积存垃圾", G, DAY, "0101", []),
        ("0902", "道路保洁", "Street cleaning", "查看路面、人行道保洁情况", G, DAY, "0103", []),
        ("0903", "垃圾桶", "Bins", "查看垃圾桶满溢、破损、分类投放", G, DAY, "0109", []),
        ("0904", "非法小广告", "Flyers", "查看墙面、电杆有无小广告和涂写刻画", G, DAY, "0201", []),
        ("0905", "占道经营", "Street vending", "查看有无占道经营、店外经营和流动摊贩", G, DAY, "0401", []),
        ("0906", "车辆乱停放", "Parking", "查看机动车、非机动车乱停放，有无僵尸车", G, DAY, "0406", []),
        ("0907", "门前三包", "Shop-front duties", "查看商户门前三包责任落实", S, WEEK, "0402", []),
    ]),
    ("10", "违法建设", "Illegal construction", [
        ("1001", "新增违建", "New illegal building", "查看屋顶、院落、绿地有无新增搭建", G, DAY, "0301", []),
        ("1002", "违规装修", "Unauthorised renovation", "查看有无拆改承重墙、破坏房屋结构的装修", B, WEEK, "0805", []),
        ("1003", "存量违建", "Existing illegal buildings", "核查存量违建台账，有无扩建、翻建", G, MONTH, "0302", []),
        ("1004", "私搭乱建", "Sheds and lean-tos", "查看楼道、架空层、公共区域私搭乱建", B, MONTH, "0301", []),
        ("1005", "施工围挡和渣土", "Hoardings and muck", "查看施工围挡、渣土覆盖和运输撒漏", G, WEEK, "0304", []),
    ]),
    ("11", "防汛防台", "Flood and typhoon", [
        ("1101", "排水设施", "Drainage", "查看雨水口、排水沟有无堵塞", G, WEEK, "0504", []),
        ("1102", "易涝点", "Flood-prone spots", "查看低洼易涝点、地下车库挡水设施和警示", G, WEEK, "0504", []),
        ("1103", "危旧房屋", "Dilapidated buildings", "查看危旧房屋裂缝、倾斜和人员居住情况", B, MONTH, "0805", []),
        ("1104", "户外广告牌和树木", "Signboards and trees", "查看户外广告牌、店招、行道树是否牢固", G, WEEK, "0204", []),
        ("1105", "山塘边坡", "Ponds and slopes", "查看山塘水库、边坡有无渗漏、滑坡迹象", G, WEEK, "0501", []),
        ("1106", "井盖设施", "Manhole covers", "查看井盖缺失、破损和松动", G, DAY, "0506", []),
    ]),
    ("12", "食品安全", "Food safety", [
        ("1201", "餐饮单位", "Restaurants", "查看餐饮单位证照、健康证、后厨卫生和留样", S, MONTH, "0808", []),
        ("1202", "校园周边食品", "Food near schools", "查看学校周边“三无”食品、过期食品和辣条等零食", K, WEEK, "0808", ["school"]),
        ("1203", "农村集体聚餐", "Village banquets", "了解农村集体聚餐报备和厨师健康情况", G, WEEK, "0808", []),
        ("1204", "食品小作坊", "Small food workshops", "查看食品小作坊登记、原料来源和卫生条件", G, MONTH, "0808", []),
        ("1205", "市场食品", "Food in markets", "查看市场肉类检疫证明、农残快检和索证索票", K, WEEK, "0808", ["market"]),
        ("1206", "无证流动食品摊贩", "Unlicensed food stalls", "查看无证流动食品摊贩", G, DAY, "0403", []),
    ]),
    ("13", "环境保护", "Environment", [
        ("1301", "露天焚烧", "Open burning", "查看露天焚烧垃圾、秸秆、树叶", G, DAY, "0106", []),
        ("1302", "油烟噪声", "Fumes and noise", "查看餐饮油烟直排、商业和施工噪声扰民", S, MONTH, "0409", []),
        ("1303", "河道水体", "Waterways", "查看河道漂浮物、黑臭水体和排污口", G, WEEK, "0104", []),
        ("1304", "工地扬尘", "Dust", "查看工地扬尘、裸土覆盖和车辆冲洗", G, WEEK, "0305", []),
        ("1305", "散乱污企业", "Polluting workshops", "查看“散乱污”企业和偷排偷放", G, MONTH, "0803", []),
        ("1306", "绿地养护", "Green spaces", "查看绿地脏乱、毁绿占绿", G, WEEK, "0105", []),
    ]),
    ("14", "民生服务", "Public services", [
        ("1401", "路灯照明", "Street lights", "查看路灯、楼道灯是否正常", G, WEEK, "0901", []),
        ("1402", "公共设施", "Public facilities", "查看健身器材、座椅、护栏等公共设施是否完好", G, WEEK, "0904", []),
        ("1403", "水电气保障", "Utilities", "了解停水停电和水压、电压异常", G, WEEK, "0902", []),
        ("1404", "社会救助需求", "Social assistance", "入户了解困难群众救助需求和政策落实", P, QUARTER, "0905", ["low_income"]),
        ("1405", "就业服务", "Jobs", "了解失业人员就业意愿，宣传就业政策", B, QUARTER, "0908", []),
        ("1406", "养老服务", "Elderly care", "了解老年人助餐、助医、助洁需求", P, QUARTER, "0906", ["elderly_alone"]),
    ]),
    ("15", "疫情防控", "Epidemic prevention", [
        ("1501", "传染病线索", "Infection leads", "了解发热、腹泻等聚集性病例线索", G, WEEK, "0910", []),
        ("1502", "重点场所防疫", "Venues' hygiene", "查看重点场所通风、消毒和健康监测", K, WEEK, "0910", ["school", "hospital", "market"]),
        ("1503", "病媒生物", "Pests", "查看蚊蝇孳生地、鼠迹和积水容器", G, WEEK, "0101", []),
        ("1504", "疫苗接种宣传", "Vaccination", "宣传疫苗接种，了解老年人接种情况", P, QUARTER, "0910", ["elderly_alone"]),
        ("1505", "健康宣教", "Health education", "张贴、发放健康宣教资料", B, QUARTER, "0910", []),
        ("1506", "返乡人员健康", "Returnees' health", "了解返乡人员健康状况和就医需求", G, MONTH, "0910", []),
    ]),
]



def catalogue_seed(apps=None) -> int:
    """Add the classes and items that are missing (by code). Returns the number
    of items added. ``apps`` is a migration's app registry (or Django's)."""
    if apps is None:
        from django.apps import apps
    PatrolClass = apps.get_model("patrols", "PatrolClass")
    PatrolItem = apps.get_model("patrols", "PatrolItem")
    PatrolItemVersion = apps.get_model("patrols", "PatrolItemVersion")
    Category = apps.get_model("events", "Category")
    categories = dict(Category.objects.filter(parent__isnull=False).values_list("code", "pk"))
    existing = set(PatrolItem.objects.values_list("code", flat=True))
    added = 0
    for order, (code, name, name_en, items) in enumerate(CLASSES, start=1):
        patrol_class, _created = PatrolClass.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order * 100})
        for index, (i_code, i_name, i_en, guidance, target, frequency, category, kinds) in enumerate(items, 1):
            if i_code in existing:
                continue
            item = PatrolItem.objects.create(patrol_class=patrol_class, code=i_code, order=order * 100 + index)
            version = PatrolItemVersion.objects.create(
                item=item, number=1, name=i_name, name_en=i_en, guidance=guidance, target=target, frequency=frequency,
                kinds=kinds, default_category_id=categories.get(category))
            item.current = version
            item.save(update_fields=["current"])
            added += 1
    return added
