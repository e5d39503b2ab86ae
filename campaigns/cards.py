"""What a target's card shows of the registry: the facts a grid worker needs at the door,
with ID and phone numbers masked exactly as the residents pages show them to this user
(``residents.privacy.shown_values``) and special groups named only to the roles that may
see them (``residents.privacy.may_see_group``); clear values are revealed only on the
resident's own page, through ``residents.services.resident_reveal`` (logged)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from campaigns.models import Campaign, Target, TargetKind
from residents import crypto, privacy
from residents.models import Building, Household, KeyPlace, Resident, Room, SpecialGroup


@dataclass
class Person:
    pk: int
    name: str
    id_mask: str
    phone_mask: str
    note: str = ""


@dataclass
class Card:
    facts: list[tuple[str, str]] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


def _people(user, residents) -> list[Person]:
    people = []
    for r in residents:
        shown = privacy.shown_values(user, grid_path=r.grid.path, id_mask=r.id_mask, phone_mask=r.phone_mask,
                                     birth_date=None)
        people.append(Person(r.pk, r.name, shown["id_number"], shown["phone"], r.relation_to_head))
    return people


def _room_facts(room: Room | None) -> list[tuple[str, str]]:
    if room is None:
        return []
    return [(_("Building"), room.building.name), (_("Unit (stairwell)"), room.unit.name), (_("Room"), room.number),
            (_("Use"), room.get_use_display())]


def target_card(campaign: Campaign, target: Target, *, user) -> Card:
    kind = campaign.target_kind
    card = Card(facts=[(_("Grid"), target.grid.name)])
    current = Resident.objects.select_related("grid").filter(moved_out_on__isnull=True).order_by("name", "id")
    if kind == TargetKind.HOUSEHOLD:
        household = Household.objects.select_related("room__building", "room__unit").filter(pk=target.object_id).first()
        if household is not None:
            card.facts += [(_("Household number"), household.number), *_room_facts(household.room)]
            card.people = _people(user, current.filter(household=household))
    elif kind == TargetKind.BUILDING:
        building = Building.objects.filter(pk=target.object_id).first()
        if building is not None:
            card.facts += [(_("Address"), building.address), (_("Floors"), str(building.floors or "")),
                           (_("Rooms"), str(building.rooms.count())),
                           (_("Current residents"), str(current.filter(room__building=building).count()))]
    elif kind == TargetKind.RENTAL_ROOM:
        room = Room.objects.select_related("building", "unit").filter(pk=target.object_id).first()
        if room is not None:
            card.facts += [*_room_facts(room), (_("Owner"), room.owner_name)]
            card.people = _people(user, current.filter(room=room))
    elif kind == TargetKind.KEY_PLACE:
        place = KeyPlace.objects.filter(pk=target.object_id).first()
        if place is not None:
            card.facts += [(_("Kind"), place.get_kind_display()), (_("Address"), place.address),
                           (_("Contact"), place.contact_name),
                           (_("Contact phone"), crypto.mask_phone(place.contact_phone) if place.contact_phone else "")]
    elif kind == TargetKind.SPECIAL_GROUP:
        resident = Resident.objects.select_related("grid", "room__building", "room__unit").filter(pk=target.object_id).first()
        if resident is not None:
            labels = dict(SpecialGroup.choices)
            groups = [str(labels[group]) for group in campaign.groups
                      if group in labels and privacy.may_see_group(user, resident.grid.path, group)]
            card.facts += [(_("Special group"), "、".join(groups)), *_room_facts(resident.room)]
            card.people = _people(user, [resident])
    card.facts = [(label, value) for label, value in card.facts if value]
    return card
