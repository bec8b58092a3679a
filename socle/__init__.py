"""socle: the shared digital platform of an intercommunality."""
