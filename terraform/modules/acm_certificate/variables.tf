variable "domain_name" {
  description = "Fully qualified domain name the certificate is for."
  type        = string
}

variable "subject_alternative_names" {
  description = "Additional names on the certificate."
  type        = list(string)
  default     = []
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone that holds the DNS validation records."
  type        = string
}
