"""check_module against the committed AWS provider schema snapshot (no npm, no database)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from blueprints.provider_schema import (
    SCHEMA_PATH,
    TERRAFORM_DIR,
    Problem,
    check_module,
    check_modules,
    collect_types,
    dumps_schema,
    extract_schema,
    load_schema,
    main,
)

GOOD_DB = """
resource "aws_db_instance" "main" {
  count             = var.enabled ? 1 : 0
  db_name           = "app"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  engine            = "postgres"
  tags              = { Team = "data" }

  blue_green_update {
    enabled = true
  }

  dynamic "restore_to_point_in_time" {
    for_each = var.restore_time == null ? [] : [var.restore_time]
    content {
      restore_time                  = restore_to_point_in_time.value
      source_db_instance_identifier = "source"
    }
  }

  lifecycle {
    ignore_changes = [tags]
  }

  depends_on = [aws_s3_bucket.logs]
}
"""


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema()


def check(tmp_path: Path, schema: dict[str, Any], source: str) -> list[Problem]:
    (tmp_path / "main.tf").write_text(textwrap.dedent(source), encoding="utf-8")
    return check_module(tmp_path, schema)


def messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


def test_snapshot_is_hashicorp_aws_6_66(schema: dict[str, Any]) -> None:
    assert schema["provider"] == "hashicorp/aws"
    assert schema["provider_version"] == "6.66.0"
    assert schema["source"] == "npm @cdktn/provider-aws@25.7.0"
    # Added in 6.28.0; the public function URLs need it (issue 14).
    assert schema["resources"]["aws_lambda_permission"]["arguments"]["invoked_via_function_url"] == {
        "required": False
    }
    db = schema["resources"]["aws_db_instance"]
    assert db["arguments"]["instance_class"] == {"required": True}
    assert db["arguments"]["db_name"] == {"required": False}
    assert "name" not in db["arguments"]
    assert [n for n, a in db["arguments"].items() if a["required"]] == ["instance_class"]
    assert "timeouts" in db["blocks"]
    assert "aws_s3_bucket" in schema["resources"]


def test_snapshot_covers_every_aws_type_used_under_terraform(schema: dict[str, Any]) -> None:
    resources, data = collect_types(TERRAFORM_DIR)
    known_resources = set(schema["all_resource_types"])
    known_data = set(schema["all_data_source_types"])
    assert (resources & known_resources) <= set(schema["resources"]), "run provider_schema refresh"
    assert (data & known_data) <= set(schema["data_sources"]), "run provider_schema refresh"


def test_correct_module_passes(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(
        tmp_path,
        schema,
        GOOD_DB
        + """
        resource "aws_s3_bucket" "logs" {
          bucket = "logs-${var.name}"
        }

        resource "aws_security_group" "db" {
          name = "db"
          ingress {
            from_port   = 5432
            to_port     = 5432
            protocol    = "tcp"
            cidr_blocks = ["10.0.0.0/8"]
          }
        }

        data "aws_ami" "base" {
          most_recent = true
          owners      = ["amazon"]
          filter {
            name   = "name"
            values = ["al2023-ami-*"]
          }
        }

        resource "null_resource" "ignored" {
          whatever = 1
        }
        """,
    )
    assert problems == []


def test_unknown_resource_type(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(tmp_path, schema, 'resource "aws_db_instanse" "main" {\n  instance_class = "x"\n}\n')
    assert len(problems) == 1
    assert problems[0].address == "aws_db_instanse.main"
    assert problems[0].file == str(tmp_path / "main.tf")
    assert 'unknown resource type "aws_db_instanse"' in problems[0].message
    assert "aws_db_instance" in problems[0].message  # suggestion


def test_unknown_data_source_type(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(tmp_path, schema, 'data "aws_no_such_thing" "x" {}\n')
    assert [p.address for p in problems] == ["data.aws_no_such_thing.x"]
    assert "unknown data source type" in problems[0].message


def test_unknown_argument(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(
        tmp_path,
        schema,
        'resource "aws_db_instance" "main" {\n  instance_class = "x"\n  name = "app"\n}\n',
    )
    assert len(problems) == 1
    assert problems[0].address == "aws_db_instance.main"
    assert problems[0].message.startswith('unknown argument "name"')


# HCL that has exactly one problem, and how its message starts.
ONE_PROBLEM = {
    "unknown nested block": (
        """
        resource "aws_db_instance" "main" {
          instance_class = "x"
          green_blue_update {
            enabled = true
          }
        }
        """,
        'unknown block "green_blue_update"',
    ),
    "unknown argument inside nested block": (
        """
        resource "aws_db_instance" "main" {
          instance_class = "x"
          blue_green_update {
            enabled  = true
            switchover = "now"
          }
        }
        """,
        'unknown argument "switchover" in block "blue_green_update"',
    ),
    "dynamic block with bad name": (
        """
        resource "aws_db_instance" "main" {
          instance_class = "x"
          dynamic "restore_point" {
            for_each = var.restore
            content {
              restore_time = restore_point.value
            }
          }
        }
        """,
        'unknown dynamic block "restore_point"',
    ),
    "dynamic block content is checked": (
        """
        resource "aws_db_instance" "main" {
          instance_class = "x"
          dynamic "restore_to_point_in_time" {
            for_each = var.restore
            content {
              restore_at = "now"
            }
          }
        }
        """,
        'unknown argument "restore_at" in block "restore_to_point_in_time"',
    ),
    "parse error is a problem": ('resource "aws_s3_bucket" "b" {\n  bucket = \n', "cannot parse"),
}


@pytest.mark.parametrize(("source", "start"), ONE_PROBLEM.values(), ids=ONE_PROBLEM.keys())
def test_one_problem(tmp_path: Path, schema: dict[str, Any], source: str, start: str) -> None:
    problems = check(tmp_path, schema, source)
    assert len(problems) == 1
    assert problems[0].message.startswith(start)


def test_missing_required_argument(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(
        tmp_path,
        schema,
        'resource "aws_db_instance" "main" {\n  db_name = "app"\n  allocated_storage = 20\n}\n',
    )
    assert messages(problems) == ['missing required argument "instance_class"']


def test_missing_required_argument_in_nested_block(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(
        tmp_path,
        schema,
        """
        data "aws_ami" "base" {
          filter {
            name = "name"
          }
        }
        """,
    )
    assert messages(problems) == ['missing required argument "values" in block "filter"']


def test_meta_arguments_are_not_reported(tmp_path: Path, schema: dict[str, Any]) -> None:
    problems = check(
        tmp_path,
        schema,
        """
        resource "aws_s3_bucket" "b" {
          for_each   = toset(["a", "b"])
          provider   = aws.west
          depends_on = [aws_db_instance.main]
          lifecycle {
            prevent_destroy = true
          }
          provisioner "local-exec" {
            command = "echo ${each.key}"
          }
        }
        """,
    )
    assert problems == []


def test_check_modules_counts_and_cli(
    tmp_path: Path, schema: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good"
    bad = tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    (good / "main.tf").write_text(textwrap.dedent(GOOD_DB), encoding="utf-8")
    (bad / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  buckit = "x"\n}\n', encoding="utf-8")

    report = check_modules([good], schema)
    assert (report.blocks, report.modules, report.problems) == (1, 1, [])
    assert report.summary == "1 blocks checked in 1 modules, 0 problems"

    assert main(["check", str(good)]) == 0
    assert capsys.readouterr().out.strip() == "1 blocks checked in 1 modules, 0 problems"

    assert main(["check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f'{bad / "main.tf"}: aws_s3_bucket.b: unknown argument "buckit" (did you mean "bucket"?)'
    assert out[-1] == "2 blocks checked in 2 modules, 1 problems"


def test_committed_snapshot_is_in_canonical_form(schema: dict[str, Any]) -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == dumps_schema(schema)


def test_type_missing_from_snapshot_asks_for_refresh(tmp_path: Path, schema: dict[str, Any]) -> None:
    trimmed = {**schema, "resources": {k: v for k, v in schema["resources"].items() if k != "aws_s3_bucket"}}
    problems = check(tmp_path, trimmed, 'resource "aws_s3_bucket" "b" {}\n')
    assert len(problems) == 1
    assert "not in the schema snapshot yet" in problems[0].message
    assert "refresh" in problems[0].message


MINI_SCHEMA: dict[str, Any] = {
    "provider_version": "test",
    "resources": {
        "aws_thing": {
            "arguments": {
                "name": {"required": True},
                "settings": {
                    "required": False,
                    "nested": "single",
                    "schema": {"arguments": {"size": {"required": False}}, "blocks": {}},
                },
            },
            "blocks": {
                "action": {
                    "required": True,
                    "schema": {"arguments": {"type": {"required": True}}, "blocks": {}},
                }
            },
        }
    },
    "data_sources": {},
}


def test_required_block(tmp_path: Path) -> None:
    assert messages(check(tmp_path, MINI_SCHEMA, 'resource "aws_thing" "t" {\n  name = "x"\n}\n')) == [
        'missing required block "action"'
    ]
    satisfied_by_dynamic = """
    resource "aws_thing" "t" {
      name = "x"
      dynamic "action" {
        for_each = var.actions
        content {
          type = action.value
        }
      }
    }
    """
    assert check(tmp_path, MINI_SCHEMA, satisfied_by_dynamic) == []


def test_object_argument_written_as_block(tmp_path: Path) -> None:
    source = """
    resource "aws_thing" "t" {
      name = "x"
      action {
        type = "forward"
      }
      settings {
        size = 1
      }
    }
    """
    assert messages(check(tmp_path, MINI_SCHEMA, source)) == [
        '"settings" is an argument, not a block: write settings = ...'
    ]
    source = source.replace("settings {", "settings = {")
    assert check(tmp_path, MINI_SCHEMA, source) == []


def test_dynamic_block_shape(tmp_path: Path) -> None:
    source = """
    resource "aws_thing" "t" {
      name = "x"
      dynamic "action" {
        items = var.actions
      }
    }
    """
    assert messages(check(tmp_path, MINI_SCHEMA, source)) == [
        'unknown argument "items" in dynamic block "action"',
        'dynamic block "action" has no for_each',
        'dynamic block "action" needs exactly one content block',
    ]


FAKE_DTS = """\
import * as cdktf from 'cdktf';
export interface ThingConfigA extends cdktf.TerraformMetaArguments {
    /**
    * Docs at Terraform Registry: {@link @DOCS@#name Thing#name}
    */
    readonly name: string;
    /**
    * Docs at Terraform Registry: {@link @DOCS@#provider Thing#provider}
    */
    readonly providerAttribute?: string;
    /**
    * Docs at Terraform Registry: {@link @DOCS@#tags Thing#tags}
    */
    readonly tags?: {
        [key: string]: string;
    };
    /**
    * Docs at Terraform Registry: {@link @DOCS@#settings Thing#settings}
    */
    readonly settings?: ThingSettings;
    /**
    * action block
    *
    * Docs at Terraform Registry: {@link @DOCS@#action Thing#action}
    */
    readonly action: ThingAction[] | cdktf.IResolvable;
}
export interface ThingSettings {
    /**
    * Docs at Terraform Registry: {@link @DOCS@#size Thing#size}
    */
    readonly size?: number;
}
export interface ThingAction {
    /**
    * Docs at Terraform Registry: {@link @DOCS@#type Thing#type}
    */
    readonly type: string;
}
export declare class Thing extends cdktf.TerraformResource {
    static readonly tfResourceType = "aws_thing";
    constructor(scope: Construct, id: string, config: ThingConfigA);
}
""".replace("@DOCS@", "https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/thing")


def test_extract_schema_from_cdktf_declarations(tmp_path: Path) -> None:
    # The folder name does not match the type: extraction falls back to tfResourceType.
    (tmp_path / "lib" / "renamed-thing").mkdir(parents=True)
    (tmp_path / "lib" / "renamed-thing" / "index.d.ts").write_text(FAKE_DTS, encoding="utf-8")
    extracted = extract_schema(tmp_path, {"aws_thing", "aws_missing"}, {"aws_thing"})
    assert extracted["data_sources"] == {}
    thing = extracted["resources"]["aws_thing"]
    assert thing["arguments"]["name"] == {"required": True}
    assert thing["arguments"]["provider"] == {"required": False}  # snake name from the doc link
    assert thing["arguments"]["tags"] == {"required": False}
    assert thing["arguments"]["settings"] == {
        "required": False,
        "nested": "single",
        "schema": {"arguments": {"size": {"required": False}}, "blocks": {}},
    }
    assert thing["blocks"] == {
        "action": {"required": True, "schema": {"arguments": {"type": {"required": True}}, "blocks": {}}}
    }


def test_blocks_cdktf_types_as_any_are_known_but_not_looked_into(tmp_path):
    """wafv2 rule statements are documented as blocks but typed `any` in cdktf."""
    schema = load_schema()
    assert schema["resources"]["aws_wafv2_web_acl"]["blocks"]["rule"]["schema"]["blocks"]["statement"] == {
        "required": False,
        "schema": None,
    }
