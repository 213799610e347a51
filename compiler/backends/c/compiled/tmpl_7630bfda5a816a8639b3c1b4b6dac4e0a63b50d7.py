from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'options_function.c.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_name = resolve('name')
    l_0_signature = resolve('signature')
    l_0_decls = resolve('decls')
    l_0_groups = resolve('groups')
    pass
    yield 'static void '
    yield str((undefined(name='name') if l_0_name is missing else l_0_name))
    yield '('
    yield str((undefined(name='signature') if l_0_signature is missing else l_0_signature))
    yield ')\n{\n'
    for l_1_line in (undefined(name='decls') if l_0_decls is missing else l_0_decls):
        _loop_vars = {}
        pass
        yield str(l_1_line)
        yield '\n'
    l_1_line = missing
    l_1_loop = missing
    for l_1_group, l_1_loop in LoopContext((undefined(name='groups') if l_0_groups is missing else l_0_groups), undefined):
        _loop_vars = {}
        pass
        if ((not environment.getattr(l_1_loop, 'first')) or (undefined(name='decls') if l_0_decls is missing else l_0_decls)):
            pass
            yield '\n'
        for l_2_line in l_1_group:
            _loop_vars = {}
            pass
            yield str(l_2_line)
            yield '\n'
        l_2_line = missing
    l_1_loop = l_1_group = missing
    yield '}\n'

blocks = {}
debug_info = '1=16&3=20&4=23&6=27&7=30&10=33&11=36'