package dev.mithril.runtime.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused optimizer updates: one pass over parameter, gradient and state per tensor. The F32 forms use the
 * Vector API with the same operation order as PyTorch's {@code _single_tensor_*} functions (torch 1.13) in
 * float; the F64 forms are the same formulas in double.
 */
final class UpdateKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private UpdateKernels() {}

    /**
     * SGD: {@code d = g + wd p}; with momentum {@code buf = first ? d : mu buf + (1 - dampening) d} and
     * {@code d = nesterov ? d + mu buf : buf}; then {@code p -= lr d}. {@code buf} is null without momentum.
     */
    static void sgd(float[] p, float[] g, float[] buf, boolean first, float lr, float wd, float mu, float dampening, boolean nesterov) {
        int n = p.length, i = 0, bound = S.loopBound(n);
        float keep = 1 - dampening;
        for (; i < bound; i += S.length()) {
            FloatVector pv = FloatVector.fromArray(S, p, i);
            FloatVector d = FloatVector.fromArray(S, g, i);
            if (wd != 0) d = d.add(pv.mul(wd));
            if (buf != null) {
                FloatVector b = first ? d : FloatVector.fromArray(S, buf, i).mul(mu).add(d.mul(keep));
                b.intoArray(buf, i);
                d = nesterov ? d.add(b.mul(mu)) : b;
            }
            pv.sub(d.mul(lr)).intoArray(p, i);
        }
        for (; i < n; i++) {
            float d = g[i];
            if (wd != 0) d = d + wd * p[i];
            if (buf != null) {
                float b = first ? d : mu * buf[i] + keep * d;
                buf[i] = b;
                d = nesterov ? d + mu * b : b;
            }
            p[i] = p[i] - lr * d;
        }
    }

    static void sgd(double[] p, double[] g, double[] buf, boolean first, double lr, double wd, double mu, double dampening, boolean nesterov) {
        double keep = 1 - dampening;
        for (int i = 0; i < p.length; i++) {
            double d = g[i];
            if (wd != 0) d = d + wd * p[i];
            if (buf != null) {
                double b = first ? d : mu * buf[i] + keep * d;
                buf[i] = b;
                d = nesterov ? d + mu * b : b;
            }
            p[i] = p[i] - lr * d;
        }
    }

    /**
     * Adam / AdamW for one tensor at step {@code t} (1-based). {@code decay} multiplies the parameter first
     * (AdamW's {@code 1 - lr wd}; 1 for Adam); {@code wd} is added to the gradient (Adam's L2; 0 for AdamW).
     * {@code vmax} is the AMSGrad running maximum, or null.
     */
    static void adam(float[] p, float[] g, float[] m, float[] v, float[] vmax, float decay, float wd, float beta1, float beta2,
                     float stepSize, float bc2Sqrt, float eps) {
        int n = p.length, i = 0, bound = S.loopBound(n);
        float a1 = 1 - beta1, a2 = 1 - beta2;
        for (; i < bound; i += S.length()) {
            FloatVector pv = FloatVector.fromArray(S, p, i);
            if (decay != 1) pv = pv.mul(decay);
            FloatVector gv = FloatVector.fromArray(S, g, i);
            if (wd != 0) gv = gv.add(pv.mul(wd));
            FloatVector mv = FloatVector.fromArray(S, m, i).mul(beta1).add(gv.mul(a1));
            FloatVector vv = FloatVector.fromArray(S, v, i).mul(beta2).add(gv.mul(gv).mul(a2));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            if (vmax != null) {
                vv = FloatVector.fromArray(S, vmax, i).max(vv);
                vv.intoArray(vmax, i);
            }
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
            pv.add(mv.div(denom).mul(-stepSize)).intoArray(p, i);
        }
        for (; i < n; i++) {
            float pi = p[i];
            if (decay != 1) pi = pi * decay;
            float gi = g[i];
            if (wd != 0) gi = gi + wd * pi;
            float mi = m[i] * beta1 + gi * a1;
            float vi = v[i] * beta2 + gi * gi * a2;
            m[i] = mi;
            v[i] = vi;
            if (vmax != null) {
                vi = Math.max(vmax[i], vi);
                vmax[i] = vi;
            }
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p[i] = pi + mi / denom * -stepSize;
        }
    }

    static void adam(double[] p, double[] g, double[] m, double[] v, double[] vmax, double decay, double wd, double beta1,
                     double beta2, double stepSize, double bc2Sqrt, double eps) {
        double a1 = 1 - beta1, a2 = 1 - beta2;
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            if (decay != 1) pi = pi * decay;
            double gi = g[i];
            if (wd != 0) gi = gi + wd * pi;
            double mi = m[i] * beta1 + gi * a1;
            double vi = v[i] * beta2 + gi * gi * a2;
            m[i] = mi;
            v[i] = vi;
            if (vmax != null) {
                vi = Math.max(vmax[i], vi);
                vmax[i] = vi;
            }
            double denom = Math.sqrt(vi) / bc2Sqrt + eps;
            p[i] = pi + mi / denom * -stepSize;
        }
    }
}
