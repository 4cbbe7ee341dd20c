"""Training from the app: the controller that runs the Trainer on a worker thread, the training bar and the live panels."""
