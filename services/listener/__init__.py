"""The crash guard: a supervisord event listener that limits restart storms and tells the admins."""
