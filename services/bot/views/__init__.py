"""Screens: what the bot shows (text and inline keyboard), built from catalogs and registry data."""

from services.bot.views.screen import Button, Screen

__all__ = ["Button", "Screen"]
