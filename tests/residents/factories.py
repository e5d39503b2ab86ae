"""Factories for residents data: valid ID numbers, protected fields filled as the
services fill them."""

import datetime

import factory

from residents import crypto
from residents.ids import check_char
from residents.models import Building, Resident, Room, Unit


def id_number(region: str = "431302", birth: datetime.date = datetime.date(1980, 1, 1), sequence: int = 1) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    name = factory.Sequence(lambda n: f"{n + 1}栋")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    name = "1单元"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    unit = factory.SubFactory(UnitFactory)
    building = factory.LazyAttribute(lambda room: room.unit.building)
    number = factory.Sequence(lambda n: f"{101 + n}")


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident
        exclude = ("number", "phone")

    name = factory.Sequence(lambda n: f"张{'伟芳娜秀英敏静丽强磊'[n % 10]}{n}")
    number = factory.Sequence(lambda n: id_number(sequence=n % 1000, birth=datetime.date(1950, 1, 1) + datetime.timedelta(days=n)))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    gender = factory.LazyAttribute(lambda r: "M" if int(r.number[16]) % 2 else "F")
    birth_date = factory.LazyAttribute(lambda r: datetime.date(int(r.number[6:10]), int(r.number[10:12]), int(r.number[12:14])))
    id_cipher = factory.LazyAttribute(lambda r: crypto.encrypt(r.number, field="id_number"))
    id_hash = factory.LazyAttribute(lambda r: crypto.lookup_hash(r.number, field="id_number"))
    id_mask = factory.LazyAttribute(lambda r: crypto.mask_id_number(r.number))
    phone_cipher = factory.LazyAttribute(lambda r: crypto.encrypt(r.phone, field="phone") if r.phone else b"")
    phone_hash = factory.LazyAttribute(lambda r: crypto.lookup_hash(r.phone, field="phone") if r.phone else "")
    phone_mask = factory.LazyAttribute(lambda r: crypto.mask_phone(r.phone) if r.phone else "")
