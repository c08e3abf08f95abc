"""Renderers: one per target, plan in, text out. Nothing here touches the disk."""
