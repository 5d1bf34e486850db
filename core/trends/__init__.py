"""Topics and spikes in the complaints (issue #22): text normalisation, NMF topics, Poisson spikes, the views."""
