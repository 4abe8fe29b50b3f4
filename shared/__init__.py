"""Contracts and plumbing every ExpoOps service shares. No business rules of any one service."""
