"""Training from the app: the controller that runs the Trainer on a worker thread, the
training bar, the live panels and the canvas's live view."""
