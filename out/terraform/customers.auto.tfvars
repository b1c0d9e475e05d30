# One DNS record per customer host, all pointing at the cluster's load balancer.
# Rendered by stamp from customers/*.yaml; do not edit.
customer_dns_records = [
  {
    customer = "acme"
    name     = "acme.app.lunarfront.tech"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "acme"
    name     = "shop.acme-outdoor.com"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "bluebird-music"
    name     = "bluebird.app.lunarfront.tech"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "bluebird-music"
    name     = "bluebirdmusic.com"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "bluebird-music"
    name     = "www.bluebirdmusic.com"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "corner-bikes"
    name     = "corner-bikes.app.lunarfront.tech"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "delta-repairs"
    name     = "delta-repairs.app.lunarfront.tech"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "delta-repairs"
    name     = "repairs.delta.io"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "evergreen"
    name     = "evergreen.app.lunarfront.tech"
    type     = "A"
    value    = "167.99.21.170"
  },
  {
    customer = "evergreen"
    name     = "evergreen-garden.com"
    type     = "A"
    value    = "167.99.21.170"
  },
]
