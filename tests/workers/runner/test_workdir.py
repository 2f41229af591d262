"""workers.runner.workdir: run folders, private input and backend files, file hashes."""

from __future__ import annotations

import json
import stat

from workers.runner.workdir import (
    BACKEND_CONFIG_FILE,
    BACKEND_OVERRIDE_FILE,
    TFVARS_FILE,
    backend_env,
    file_sha256,
    hcl_string,
    prepare_workdir,
)


def test_hcl_string_escapes_templates_and_quotes():
    assert hcl_string('a"b\\c') == '"a\\"b\\\\c"'
    assert hcl_string("${x} %{y} $z") == '"$${x} %%{y} $z"'
    assert hcl_string("line\nnext\x08") == '"line\\nnext\\u0008"'


def test_prepare_workdir_copies_module_and_writes_private_inputs(tmp_path):
    module = tmp_path / "module"
    (module / ".terraform" / "providers").mkdir(parents=True)
    (module / "sub").mkdir()
    (module / "main.tf").write_text("# main\n")
    (module / "sub" / "x.tf").write_text("# x\n")
    (module / "terraform.tfstate").write_text("{}")
    (module / "terraform.tfstate.backup").write_text("{}")
    workdir = tmp_path / "run"

    prepare_workdir(
        module_dir=module,
        workdir=workdir,
        variables={"greeting": 'say "hi" ${oops}', "replicas": 2},
        backend={"bucket": "state", "key": 'k"ey${x}'},
        backend_type="s3",
    )

    assert sorted(p.relative_to(workdir).as_posix() for p in workdir.rglob("*")) == sorted(
        ["main.tf", "sub", "sub/x.tf", TFVARS_FILE, BACKEND_OVERRIDE_FILE, BACKEND_CONFIG_FILE]
    )
    tfvars = workdir / TFVARS_FILE
    assert stat.S_IMODE(tfvars.stat().st_mode) == 0o600
    assert json.loads(tfvars.read_text()) == {"greeting": 'say "hi" ${oops}', "replicas": 2}
    assert stat.S_IMODE((workdir / BACKEND_CONFIG_FILE).stat().st_mode) == 0o600
    assert (workdir / BACKEND_OVERRIDE_FILE).read_text() == 'terraform {\n  backend "s3" {}\n}\n'
    assert (workdir / BACKEND_CONFIG_FILE).read_text() == 'bucket = "state"\nkey = "k\\"ey$${x}"\n'

    # The http backend's settings, credentials included, go to the environment, never to disk.
    http = {"address": "https://portal/state/1", "password": 'pa"ss${x}'}
    prepare_workdir(module_dir=module, workdir=workdir, variables={}, backend=http)
    assert (workdir / BACKEND_OVERRIDE_FILE).read_text() == 'terraform {\n  backend "http" {}\n}\n'
    assert not (workdir / BACKEND_CONFIG_FILE).exists()
    assert not any('pa"ss' in p.read_text() for p in workdir.rglob("*") if p.is_file())
    assert backend_env("http", http) == {
        "TF_HTTP_ADDRESS": "https://portal/state/1",
        "TF_HTTP_PASSWORD": 'pa"ss${x}',
    }
    assert backend_env("s3", {"bucket": "state"}) == {}

    prepare_workdir(module_dir=module, workdir=workdir, variables={}, backend=None)
    assert not (workdir / BACKEND_CONFIG_FILE).exists()
    assert not (workdir / BACKEND_OVERRIDE_FILE).exists()


def test_file_sha256(tmp_path):
    path = tmp_path / "plan.tfplan"
    path.write_bytes(b"abc")

    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
