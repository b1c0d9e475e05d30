# Cloudflare records for the apps, pointing at the Civo load balancer (proxied).
# Rendered by stamp from customers/*.yaml; do not edit.
app_dns_records = [
{{#customers}}
{{#hosts}}
  {
    app     = "{{id}}"
    name    = "{{.}}"
    type    = "A"
    value   = "{{platform.load_balancer}}"
    proxied = true
  },
{{/hosts}}
{{/customers}}
]
