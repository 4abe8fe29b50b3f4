"""Exhibitions (展览展示): halls, booths, booth assignment and achievement release sessions."""
