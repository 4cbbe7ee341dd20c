"""The Qt desktop app. It observes and edits the core's Graph; it never computes gradients."""
