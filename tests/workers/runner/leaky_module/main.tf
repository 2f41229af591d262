# A module that leaks the secret it is given, as a careless provisioner would: the value one line
# at a time, base64 (wrapped, and on one line) and URL-encoded. tests/workers/runner/test_redaction.py
# runs it with the real Terraform and null provider and checks that none of it reaches a log line.
# The variable is not marked sensitive (the mistake a blueprint author makes), so Terraform itself
# hides nothing.
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
    }
  }
}

variable "private_key" {
  type = string
}

variable "python" {
  type = string
}

resource "null_resource" "leak" {
  provisioner "local-exec" {
    command = <<-EOT
      printf 'key:\n%s\n' "$PRIVATE_KEY"
      printf '%s' "$PRIVATE_KEY" | base64
      printf '%s' "$PRIVATE_KEY" | base64 -w0; echo
      "$PYTHON" -c 'import os, urllib.parse; k = os.environ["PRIVATE_KEY"]; print(urllib.parse.quote(k, safe="")); [print("line", urllib.parse.quote(l, safe="")) for l in k.splitlines()]'
      echo "done leaking"
    EOT
    environment = {
      PRIVATE_KEY = var.private_key
      PYTHON      = var.python
    }
  }
}
