<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

// another database: a foreign key to users cannot cross it, even if this one has a table of that name
class AuditEntry extends Model
{
    protected $connection = 'audit';

    public function actor(): BelongsTo
    {
        return $this->belongsTo(User::class, 'actor_ref');
    }
}
