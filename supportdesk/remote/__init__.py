"""Remote help with the customer's consent: asked from the case, given by the customer on every
occasion, and used for one recorded session."""
