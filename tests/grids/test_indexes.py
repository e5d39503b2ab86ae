"""The scoping path has an index (DESIGN §10): subtree queries can use it on PostgreSQL."""

import pytest
from django.db import connection, transaction

from accounts.models import Role
from accounts.scoping import areas_visible_to


def test_subtree_query_uses_the_path_prefix_index(tree, make_user):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are PostgreSQL's; the CI suite runs on PostgreSQL")
    dispatcher = make_user(Role.DISPATCHER, area=tree["S1"])
    sql, params = areas_visible_to(dispatcher).query.sql_with_params()

    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows would be scanned sequentially; forbid that to see the plan
        # PostgreSQL picks once the table is large.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "grids_area_path_prefix" in plan, plan
