output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "cidr_block" {
  description = "VPC CIDR."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones in use."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnet ids, one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnet ids, one per AZ."
  value       = aws_subnet.private[*].id
}

output "private_route_table_ids" {
  description = "Private route table ids."
  value       = aws_route_table.private[*].id
}

output "nat_public_ips" {
  description = "Elastic IPs of the NAT gateways (egress addresses)."
  value       = aws_eip.nat[*].public_ip
}

# A security group whose egress is restricted must allow these prefix lists, or traffic to the
# gateway endpoints (S3, DynamoDB) is dropped: Terraform removes AWS's default allow-all egress.
output "gateway_endpoint_prefix_list_ids" {
  description = "Prefix list id of each gateway endpoint, by service (e.g. s3)"
  value       = { for service, endpoint in aws_vpc_endpoint.gateway : service => endpoint.prefix_list_id }
}
