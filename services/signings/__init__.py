"""Signings (项目签约): the project signing pipeline and the ceremony running order."""
