"""Email triage of the support mailbox: intake (SMTP listener, IMAP poller, files), parsing,
classification by the Rasa model, and the decision to answer at once or open a ticket."""
