# Cloudflare records for the apps, pointing at the Civo load balancer (proxied).
# Rendered by stamp from customers/*.yaml; do not edit.
app_dns_records = [
  {
    app     = "linkding"
    name    = "linkding.hobby.fra1.dev"
    type    = "A"
    value   = "212.2.244.17"
    proxied = true
  },
  {
    app     = "status"
    name    = "status.hobby.fra1.dev"
    type    = "A"
    value   = "212.2.244.17"
    proxied = true
  },
  {
    app     = "xingzap"
    name    = "xingzap.hobby.fra1.dev"
    type    = "A"
    value   = "212.2.244.17"
    proxied = true
  },
]
