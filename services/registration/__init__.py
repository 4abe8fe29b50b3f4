"""Registration (报名登记): participating units and their achievements."""
