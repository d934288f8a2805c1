"""What the bot and the job tracker say to users: texts, buttons' data, labels, results and their delivery."""
