"""Standard metrics: top-1 classification accuracy and ROC AUC."""
