"""mailbridge: website form e-mails -> Bitrix24 CRM leads, exactly once."""

__version__ = "0.1.0"
