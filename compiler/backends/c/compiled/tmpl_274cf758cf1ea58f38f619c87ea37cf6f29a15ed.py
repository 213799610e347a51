from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'host_features.c.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_banner = resolve('banner')
    l_0_includes = resolve('includes')
    l_0_entries = resolve('entries')
    pass
    yield str((undefined(name='banner') if l_0_banner is missing else l_0_banner))
    yield '\n\n'
    for l_1_line in (undefined(name='includes') if l_0_includes is missing else l_0_includes):
        _loop_vars = {}
        pass
        yield str(l_1_line)
        yield '\n'
    l_1_line = missing
    yield '\n'
    if (undefined(name='entries') if l_0_entries is missing else l_0_entries):
        pass
        yield 'const MtcHostDependentProperty mtc_host_dependent_properties[] = {\n'
        for l_1_line in (undefined(name='entries') if l_0_entries is missing else l_0_entries):
            _loop_vars = {}
            pass
            yield str(l_1_line)
            yield '\n'
        l_1_line = missing
        yield '};\n'
    else:
        pass
        yield 'const MtcHostDependentProperty mtc_host_dependent_properties[] = {};\n'
    yield 'const size_t mtc_host_dependent_properties_len =\n    G_N_ELEMENTS(mtc_host_dependent_properties);\n\nvoid mtc_compat_props_add_host(GPtrArray *arr, MtcHostCompat props[],\n                               size_t nelem, const MtcHost *host)\n{\n    for (size_t i = 0; i < nelem; i++) {\n        if (props[i].applies(host)) {\n            g_ptr_array_add(arr, &props[i].prop);\n        }\n    }\n}\n\n/* What qapi_bool_parse() reads as true. */\nstatic bool mtc_value_is_on(const char *value)\n{\n    return value && (strcmp(value, "on") == 0 || strcmp(value, "yes") == 0 ||\n                     strcmp(value, "true") == 0 || strcmp(value, "y") == 0);\n}\n\nbool mtc_check_host_property(const char *driver, const char *property,\n                             const char *value, const MtcHost *host,\n                             Error **errp)\n{\n    if (!mtc_value_is_on(value)) {\n        return true;\n    }\n    for (size_t i = 0; i < mtc_host_dependent_properties_len; i++) {\n        const MtcHostDependentProperty *p = &mtc_host_dependent_properties[i];\n\n        if (strcmp(p->driver, driver) == 0 &&\n            strcmp(p->property, property) == 0 &&\n            !mtc_host_has_feature(host, p->feature)) {\n            error_setg(errp, "%s.%s=%s needs host feature \'%s\', "\n                       "which this host lacks",\n                       driver, property, value, p->feature);\n            return false;\n        }\n    }\n    return true;\n}\n'

blocks = {}
debug_info = '1=14&3=16&4=19&7=23&9=26&10=29'