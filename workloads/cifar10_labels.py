"""CIFAR-10 class names in the dataset's order (label 0–9), shared by ic01 and ic02."""

CIFAR10_LABELS = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
