"""offsetgeo: offset manifolds of graphs of analytic functions."""
