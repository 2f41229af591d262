"""workers.runner.initcache: initialized-folder templates, one per module version and host.
(The whole path with real Terraform and a worker is in tests/portal/runs/test_run_hygiene.py.)"""

from __future__ import annotations

import os
import time

from workers.runner.initcache import InitCache, init_key


def initialized(folder, provider):
    """A folder as `terraform init` leaves it: a provider link into the plugin cache, a lock file."""
    links = folder / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "null" / "2.1.2"
    links.mkdir(parents=True)
    (links / "linux_amd64").symlink_to(provider)
    (folder / ".terraform" / "terraform.tfstate").write_text('{"backend": {"type": "http"}}')
    (folder / ".terraform.lock.hcl").write_text("# lock\n")
    (folder / "main.tf").write_text("# the module, not part of the template\n")
    return folder


def test_a_saved_template_is_copied_into_a_new_folder_with_its_links(tmp_path):
    provider = tmp_path / "plugin-cache" / "null"
    provider.mkdir(parents=True)
    cache = InitCache(tmp_path / "templates", max_age_s=3600)
    first = initialized(tmp_path / "first", provider)

    assert cache.restore("k", tmp_path / "second") is False  # nothing saved yet
    cache.save("k", first)
    second = tmp_path / "second"
    second.mkdir()
    assert cache.restore("k", second) is True

    link = second / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "null" / "2.1.2"
    assert (link / "linux_amd64").is_symlink() and (link / "linux_amd64").resolve() == provider
    assert (second / ".terraform.lock.hcl").read_text() == "# lock\n"
    assert not (second / "main.tf").exists()
    assert os.listdir(tmp_path / "templates") == ["k"]  # no staging folder left behind


def test_a_template_whose_provider_link_broke_is_dropped(tmp_path):
    provider = tmp_path / "plugin-cache" / "null"
    provider.mkdir(parents=True)
    cache = InitCache(tmp_path / "templates", max_age_s=3600)
    cache.save("k", initialized(tmp_path / "first", provider))
    provider.rmdir()  # the plugin cache was cleaned

    target = tmp_path / "second"
    target.mkdir()
    assert cache.restore("k", target) is False
    assert not (tmp_path / "templates" / "k").exists()
    assert not (target / ".terraform").exists()


def test_templates_unused_for_max_age_are_pruned(tmp_path):
    provider = tmp_path / "provider"
    provider.mkdir()
    cache = InitCache(tmp_path / "templates", max_age_s=60)
    cache.save("old", initialized(tmp_path / "a", provider))
    long_ago = time.time() - 120
    os.utime(tmp_path / "templates" / "old", (long_ago, long_ago))

    cache.save("new", initialized(tmp_path / "b", provider))

    assert sorted(os.listdir(tmp_path / "templates")) == ["new"]


def test_the_key_changes_with_any_file_the_binary_or_the_backend():
    base = {"files": [("main.tf", "a"), ("variables.tf", "b")], "entry_dir": "m", "parts": ("tf:1", "http")}
    key = init_key(**base)
    assert key == init_key(**{**base, "files": list(reversed(base["files"]))})  # order does not matter
    assert key != init_key(**{**base, "files": [("main.tf", "a!"), ("variables.tf", "b")]})
    assert key != init_key(**{**base, "entry_dir": "n"})
    assert key != init_key(**{**base, "parts": ("tf:2", "http")})
