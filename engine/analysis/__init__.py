"""What a scenario's architecture is worth: SPOFs, cut sets, availability, blast radius, what-if and chaos runs, suggestions, and the scenario's fairness and difficulty."""
