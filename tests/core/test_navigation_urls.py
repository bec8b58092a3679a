"""Navigation entries resolve their address once per process, under the deployment's prefix."""

from django.urls import reverse, set_script_prefix

from socle.core.navigation import NavItem


def test_an_entry_resolves_its_address_like_reverse():
    item = NavItem("Les communes", "core:communes")
    assert item.url == reverse("core:communes") == "/communes/"


def test_an_entry_follows_the_script_prefix_of_a_deployment_under_a_path():
    item = NavItem("Les communes", "core:communes")
    try:
        set_script_prefix("/services/")
        assert item.url == "/services/communes/"
    finally:
        set_script_prefix("/")
    assert item.url == "/communes/"
