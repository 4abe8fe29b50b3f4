"""Publicity (宣传报道 / 信息报送): editorial review, channel publishing, information bulletins."""
