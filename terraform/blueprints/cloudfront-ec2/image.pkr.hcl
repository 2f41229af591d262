# AMI for the cloudfront-ec2 blueprint: Amazon Linux 2023 on Graviton (arm64) with PostgreSQL,
# Redis and an nginx reverse proxy (port 80 -> the Go API on 8080). Data lives on the separate
# /data EBS volume that Terraform attaches; the image itself stays stateless.
# Build: packer build -var region=eu-west-1 image.pkr.hcl   (writes packer-manifest.json)

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "Region to build the AMI in."
}

variable "instance_type" {
  type        = string
  default     = "t4g.small"
  description = "Graviton builder instance type."
}

variable "image_name" {
  type        = string
  default     = "cloudfront-ec2-server"
  description = "AMI name prefix; a timestamp is appended."
}

variable "postgresql_major" {
  type        = string
  default     = "15"
  description = "PostgreSQL major version from the Amazon Linux 2023 repositories."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Optional subnet for the builder instance (default VPC when empty)."
}

locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "al2023_arm64" {
  region          = var.region
  instance_type   = var.instance_type
  ssh_username    = "ec2-user"
  subnet_id       = var.subnet_id
  ami_name        = "${var.image_name}-${local.timestamp}"
  ami_description = "Amazon Linux 2023 arm64 with PostgreSQL ${var.postgresql_major}, Redis 6 and nginx"

  source_ami_filter {
    filters = {
      name                = "al2023-ami-*-arm64"
      architecture        = "arm64"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = 20
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name          = "${var.image_name}-${local.timestamp}"
    Blueprint     = "cloudfront-ec2"
    OS            = "al2023"
    Architecture  = "arm64"
    PostgreSQL    = var.postgresql_major
    SourceAMI     = "{{ .SourceAMI }}"
    SourceAMIName = "{{ .SourceAMIName }}"
  }
}

build {
  sources = ["source.amazon-ebs.al2023_arm64"]

  provisioner "shell" {
    environment_vars = ["PG_MAJOR=${var.postgresql_major}"]
    execute_command  = "sudo -E bash -eux '{{ .Path }}'"
    inline = [
      "dnf -y upgrade --releasever=latest",
      "dnf -y install postgresql$PG_MAJOR-server postgresql$PG_MAJOR-contrib redis6 nginx xfsprogs amazon-cloudwatch-agent restic || dnf -y install postgresql$PG_MAJOR-server postgresql$PG_MAJOR-contrib redis6 nginx xfsprogs amazon-cloudwatch-agent",
      "mkdir -p /etc/systemd/system/postgresql.service.d",
      "printf '[Service]\\nEnvironment=PGDATA=/data/pgsql/data\\n' > /etc/systemd/system/postgresql.service.d/data.conf",
      "sed -i 's|^dir .*|dir /data/redis|' /etc/redis6/redis6.conf",
      "printf 'server {\\n  listen 80 default_server;\\n  location / {\\n    proxy_pass http://127.0.0.1:8080;\\n    proxy_set_header Host $host;\\n    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\\n  }\\n}\\n' > /etc/nginx/conf.d/api.conf",
      "printf '#!/bin/bash\\nset -eu\\nmkdir -p /data/pgsql /data/redis\\nchown postgres:postgres /data/pgsql\\nchown redis6:redis6 /data/redis || chown redis:redis /data/redis\\n[ -f /data/pgsql/data/PG_VERSION ] || sudo -u postgres initdb -D /data/pgsql/data --auth-local=peer --auth-host=scram-sha-256\\nsystemctl daemon-reload\\nsystemctl enable --now postgresql redis6 nginx\\n' > /usr/local/sbin/app-data-init",
      "chmod 0755 /usr/local/sbin/app-data-init",
      "systemctl disable postgresql redis6 nginx || true",
      "dnf clean all",
      "rm -rf /var/cache/dnf",
    ]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
    custom_data = {
      blueprint        = "cloudfront-ec2"
      architecture     = "arm64"
      postgresql_major = var.postgresql_major
    }
  }
}
