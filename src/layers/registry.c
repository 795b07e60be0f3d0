/* Every layer kind the engine knows, by its ae_layer_kind: the table AE_LAYER_KINDS (include/aelab.h)
 * expands to. */
#include "layer.h"

#define AE_X(e, name) extern const ae_layer_ops ae_##name##_ops;
AE_LAYER_KINDS(AE_X)
#undef AE_X

const ae_layer_ops *const ae_layer_kinds[AE_LAYER_COUNT] = {
#define AE_X(e, name) [AE_LAYER_##e] = &ae_##name##_ops,
    AE_LAYER_KINDS(AE_X)
#undef AE_X
};

const ae_layer_ops *ae_layer_ops_of(ae_layer_kind k) { return (unsigned)k < AE_LAYER_COUNT ? ae_layer_kinds[k] : NULL; }

const char *ae_layer_kind_name(ae_layer_kind k) {
    const ae_layer_ops *o = ae_layer_ops_of(k);
    return o ? o->name : "?";
}
