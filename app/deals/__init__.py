"""Investment intents, interests (意向), negotiation, signing, the docking form (附件2)."""
