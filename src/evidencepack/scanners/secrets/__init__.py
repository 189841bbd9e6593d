"""Secret scanning: the rules that recognise credentials and the engine that runs them."""
