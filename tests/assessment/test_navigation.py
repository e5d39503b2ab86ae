"""The navbar leads each role to its part of assessment: leaders, dispatchers and
departments to the rankings, grid staff to their points; both pages open for them."""

from django.urls import reverse


def nav_links(html: str) -> str:
    return html.split('id="site-nav"', 1)[1].split("</nav>", 1)[0]


def test_leader_and_dispatcher_reach_the_rankings(client, cast):
    for who in ("leader", "dispatcher"):
        client.force_login(cast[who])
        nav = nav_links(client.get(reverse("home")).content.decode())
        assert f'href="{reverse("assessment:rankings")}"' in nav, who
        assert f'href="{reverse("assessment:points")}"' not in nav, who
        assert client.get(reverse("assessment:rankings")).status_code == 200


def test_grid_worker_reaches_their_points(client, cast):
    client.force_login(cast["worker"])
    nav = nav_links(client.get(reverse("home")).content.decode())
    assert f'href="{reverse("assessment:points")}"' in nav
    assert f'href="{reverse("assessment:rankings")}"' not in nav
    assert client.get(reverse("assessment:points")).status_code == 200
