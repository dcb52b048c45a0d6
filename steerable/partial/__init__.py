"""Learning the degree of equivariance per layer (Veefkind & Cesa, ICML 2024).

Each relaxed layer carries a likelihood ``lambda`` over its group (:class:`GroupLikelihood`); its
kernel is the ``lambda``-weighted group average of an unconstrained band-limited kernel,

    k_lambda(x) = int_G lambda(h) rho_out(h) k(h^-1 x) rho_in(h)^T dh,

so uniform ``lambda`` (the initialisation) gives an exactly equivariant kernel and ``lambda``
concentrated at the identity an unconstrained one.  Training, with :func:`regularization`,
decides how much symmetry each layer keeps.
"""
from .likelihood import GroupLikelihood, LikelihoodSet, band_limited_irreps, quadrature
from .basis import RelaxedConvBasis, RelaxedKernelBasis, relaxed_coefficients
from .conv import R2Conv, R3Conv, RelaxedExpansion
from .regularization import LikelihoodProfile, likelihood_profiles, likelihoods, plot_likelihood_profiles, regularization

__all__ = ["GroupLikelihood", "LikelihoodSet", "band_limited_irreps", "quadrature",
           "RelaxedConvBasis", "RelaxedKernelBasis", "relaxed_coefficients", "R2Conv", "R3Conv", "RelaxedExpansion",
           "regularization", "likelihoods", "likelihood_profiles", "LikelihoodProfile", "plot_likelihood_profiles"]
