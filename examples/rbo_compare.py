"""RBO and the three baselines on one loss: final losses and costs.

Run: ``python examples/rbo_compare.py``.  The loss is the 1-D exploration landscape
(a shallow basin at 0, a deeper one at 4, seeded ripples); every optimizer starts at 0.3.
"""
import numpy as np

import rbo


def main(steps=300):
    obj = rbo.losses.exploration(seed=0)
    theta0 = np.array([0.3])
    optimizers = {
        "GD (sgd)": rbo.sgd(0.3),
        "SGD momentum 0.9": rbo.sgd(0.03, momentum=0.9),
        "SAM rho=0.05": rbo.sam(0.3, rho_sam=0.05),
        "Entropy-SGD L=20": rbo.entropy_sgd(0.3, gamma=0.3, inner_steps=20, seed=0),
        "RBO newton rho=0.05": rbo.rolling_ball(0.3, 0.05, solver="newton"),
        "RBO newton rho=3": rbo.rolling_ball(0.3, 3.0, solver="newton"),
        "RBO paper rho=3": rbo.rolling_ball(0.3, 3.0, solver="paper"),
        "RBO explore->exploit": rbo.rolling_ball(0.3, rbo.schedules.cosine(3.0, steps, 0.05)),
    }
    print(f"{'optimizer':24s} {'final theta':>11s} {'final loss':>11s} {'grad evals':>10s} {'evals/step':>10s} {'status':>9s}")
    for name, opt in optimizers.items():
        tr = rbo.run(obj, opt, theta0, steps, on_failure="ignore")
        print(f"{name:24s} {float(tr.final_theta[0]):11.4f} {tr.final_loss:11.5f} "
              f"{tr.total_evals:10d} {tr.total_evals / tr.steps:10.1f} {tr.status:>9s}")


if __name__ == "__main__":
    main()
