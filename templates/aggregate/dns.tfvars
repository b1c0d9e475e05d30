# One DNS record per customer host, all pointing at the cluster's load balancer.
# Rendered by stamp from customers/*.yaml; do not edit.
customer_dns_records = [
{{#customers}}
{{#hosts}}
  {
    customer = "{{id}}"
    name     = "{{.}}"
    type     = "A"
    value    = "{{platform.load_balancer}}"
  },
{{/hosts}}
{{/customers}}
]
