# A pretend machine image: Packer's null builder with a shell-local provisioner, so image builds
# run offline end to end. The cloudfront-ec2 blueprint has the real amazon-ebs template.
variable "name" {
  type    = string
  default = "local-sandbox"
}

source "null" "sandbox" {
  communicator = "none"
}

build {
  name    = "sandbox-image"
  sources = ["source.null.sandbox"]

  provisioner "shell-local" {
    inline = ["echo building image ${var.name}", "echo installing the pretend app"]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
  }
}
