"""What every layer reads that is not the wire: exit-code errors, loopback rules, the checklist, the renderers' words."""
