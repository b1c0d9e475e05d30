text = <<EOT
{{v}}
EOT
