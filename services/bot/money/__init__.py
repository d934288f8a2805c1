"""The bot's money feature: packs and Stars payments, referrals and promos, the admin's money tools."""
