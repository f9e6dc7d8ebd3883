"""Alarms and notifications to people: Telegram, e-mail, a JSON webhook (SPEC §2, §6)."""
