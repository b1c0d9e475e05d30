name = prefix_{{name}}
