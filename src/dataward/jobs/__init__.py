"""Due rows and the workers that claim them: work that must happen later or elsewhere."""
